"""Regions and municipality codes over time: definitions, code history, harmonising to 2024 borders."""
