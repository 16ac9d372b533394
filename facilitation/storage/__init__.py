"""The database: one connection and writer, the ordered migrations, one repository per concept."""
