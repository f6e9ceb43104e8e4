//! Not yet generated.

use super::{Env, Sink};

pub fn emit<S: Sink>(_env: &Env<'_>, _sink: &mut S) -> Result<(), S::Error> {
    Ok(())
}
