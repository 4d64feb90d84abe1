//! Builds the PostgreSQL variants of the database tests as ignored unless
//! CRENEAU_TEST_POSTGRES_URL is set, so a run without PostgreSQL says "ignored" for them
//! instead of "ok" (and a run with it fails if PostgreSQL cannot be reached).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=CRENEAU_TEST_POSTGRES_URL");
    if std::env::var_os("CRENEAU_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
