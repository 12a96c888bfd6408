"""ParkGrid community: members, programmes, community events and registrations."""
