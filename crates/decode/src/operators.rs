//! Operator table (being written).
