//! The notice a console page shows after an action (`?fait=…&n=…`), once the form has been
//! sent and the browser redirected.
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct Done {
    pub fait: Option<String>,
    pub n: Option<u32>,
    pub feries: Option<u32>,
    /// A series: sessions created over another one at the same place and time.
    pub chevauchements: Option<u32>,
    /// A series: dates left out over appointments.
    pub rdv: Option<u32>,
    /// A series: the dates to check (`2027-01-12,2027-01-19`).
    pub verifier: Option<String>,
    /// A series: the dates left out over appointments.
    pub sautees: Option<String>,
}
