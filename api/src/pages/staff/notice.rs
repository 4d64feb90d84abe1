//! The notice a console page shows after an action (`?fait=…&n=…`), once the form has been
//! sent and the browser redirected.
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct Done {
    pub fait: Option<String>,
    pub n: Option<u32>,
    pub feries: Option<u32>,
}
