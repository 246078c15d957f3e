"""What every domain shares: settings, database, errors, the container and dependencies."""
