//! IOC extraction throughput (filled in below as the extractor lands).
fn main() {}
