//! Builds the PostgreSQL variants of the database tests as ignored unless
//! CRENEAU_TEST_POSTGRES_URL is set, so a run without PostgreSQL says "ignored" for them
//! instead of "ok" (and a run with it fails if PostgreSQL cannot be reached). Likewise the SMS
//! journeys are ignored when Kannel is not installed, except in CI, where they must run (and
//! fail if it is missing).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(kannel_tests)");
    println!("cargo::rerun-if-env-changed=CI");
    // Installing or removing Kannel changes these folders, so the choice is made again.
    println!("cargo::rerun-if-changed=/usr/sbin");
    let kannel = [
        "/usr/sbin/bearerbox",
        "/usr/sbin/smsbox",
        "/usr/lib/kannel/test/fakesmsc",
    ]
    .iter()
    .all(|p| std::path::Path::new(p).exists());
    if kannel || std::env::var("CI").is_ok_and(|v| v == "true") {
        println!("cargo::rustc-cfg=kannel_tests");
    }
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=CRENEAU_TEST_POSTGRES_URL");
    if std::env::var_os("CRENEAU_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
