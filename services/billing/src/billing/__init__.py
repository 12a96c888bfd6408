"""ParkGrid billing: charges from what members use, monthly invoices numbered without gaps, payments (port 8006)."""
