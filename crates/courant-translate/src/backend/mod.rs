//! The four backends, each only its request and answer format; everything
//! else is the shared layer, [`crate::Engine`].

pub mod apertium;
pub mod deepl;
pub mod libre;
pub mod openai;
