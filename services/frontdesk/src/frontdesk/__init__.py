"""ParkGrid front desk: server-rendered pages for front-desk staff and members."""
