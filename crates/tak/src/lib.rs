//! TAK.
