//! The four backends, each only its request and answer format; everything
//! else is the shared layer in [`crate::engine`].

pub mod apertium;
pub mod deepl;
pub mod libre;
pub mod openai;
