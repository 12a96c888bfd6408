"""The pages: one router per feature."""
