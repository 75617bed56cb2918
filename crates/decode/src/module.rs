//! Module structure (being written).
