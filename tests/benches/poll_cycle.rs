//! Placeholder: replaced in this change.
fn main() {}
