use poem_openapi::Tags;

/// Groups of operations in the published spec.
#[derive(Tags)]
pub(crate) enum ApiTags {
    /// Places: the media library, the digital-mediation points, the association house.
    Places,
    /// Workshops and their sessions, and registering for one (no account needed).
    Workshops,
    /// A resident's own registration, reached with its manage token.
    Registrations,
    /// Appointments at a mediation point: reasons, free slots, booking (no account needed).
    Appointments,
    /// Calendar files and subscribable feeds.
    Calendars,
    /// Staff sign-in.
    Auth,
    /// Staff: places, workshops, sessions, registrations, attendance.
    AdminWorkshops,
    /// Staff: opening hours, closures, reasons, agendas, appointments.
    AdminAppointments,
    /// Staff: activity records (comptes rendus) and the themes that pre-fill them.
    AdminRecords,
    /// Staff: accounts, the outbox, feeds.
    AdminOrganisation,
    /// Staff: the programme's figures for a period.
    AdminStatistics,
    /// Staff: exports (CSV, XLSX) of registrants and appointments, logged.
    AdminExports,
    /// Staff: the satisfaction survey's results (groups of five answers or more).
    AdminSurvey,
}
