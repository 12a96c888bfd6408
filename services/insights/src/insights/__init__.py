"""ParkGrid insights: KPIs and member notifications, built only from published events."""
