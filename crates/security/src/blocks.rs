//! Blocks (spärrar).
