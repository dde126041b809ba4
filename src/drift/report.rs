//! Renderers for drift results.
