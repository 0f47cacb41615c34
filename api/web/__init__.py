"""What every HTTP route shares: problem details, bearer tokens and roles, content types, uploads, health."""
