//! The only code that talks to the Docker Engine.
