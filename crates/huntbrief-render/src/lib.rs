pub mod json;
pub mod markdown;
