"""County knowledge packs: schema, loader, validator and geographic routing."""
