"""Pure rules of the web app: messages, the day grid, eligibility reasons, problems to fields."""
