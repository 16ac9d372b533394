"""Pure building blocks shared by every package: records, errors, translation, limits, the hub."""
