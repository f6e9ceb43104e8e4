//! AGP.
