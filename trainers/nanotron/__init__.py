"""nanotron for alignment-data mixes: presets and config builder, schema mirror, launcher, environment, checkpoint conversion."""
