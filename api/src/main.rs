//! The `creneau` binary: `serve`, `demo`, `worker`, `openapi`, `staff add`.
use std::io::Read;

use anyhow::Context;
use clap::{Parser, Subcommand};
use creneau::{
    auth::{Role, api::create_staff},
    demo,
    http::startup::Application,
    platform::clock::Clock,
    platform::config::{ExposeSecret, Settings},
    platform::state::AppState,
};
use sea_orm::ActiveEnum;

#[derive(Parser)]
#[command(name = "creneau", version, about = "Ateliers et rendez-vous de médiation numérique")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the pages and (unless CRENEAU_WORKER=off) the outbox worker.
    Serve,
    /// Serve http://127.0.0.1:8080 on a fresh SQLite file filled with Arles' demo data.
    Demo {
        /// The SQLite file, recreated at each start; or a `postgres://` URL of an empty
        /// database (for checks that must run on PostgreSQL too).
        #[arg(long, default_value = "creneau-demo.db")]
        database: String,
        /// Where to serve; the flag wins over CRENEAU_LISTEN.
        #[arg(long, env = "CRENEAU_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Deliver the outbox only (for deployments that run it apart from `serve`).
    Worker,
    /// Print the OpenAPI spec (the committed openapi.yaml is exactly this).
    Openapi,
    /// Staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a staff account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "coordinator", "facilitator"])]
        role: String,
        /// The organisation the account joins: the one of this name, created if none has it.
        #[arg(long, default_value = "Ma commune")]
        organisation_name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            print!("{}", creneau::http::openapi::spec_yaml());
            Ok(())
        }
        Command::Serve => {
            let settings = Settings::from_env()?;
            let _logs = creneau::platform::logging::init_off_thread(settings.log_json);
            serve(Application::build(settings, Clock::system()).await?).await
        }
        Command::Worker => {
            let mut settings = Settings::from_env()?;
            settings.resolve_secret()?;
            let _logs = creneau::platform::logging::init_off_thread(settings.log_json);
            let db = creneau::platform::db::connect(&settings.database_url).await?;
            let state = AppState::new(db, Clock::system(), settings)?;
            creneau::notifications::worker::run_until(state, shutdown_signal()).await
        }
        Command::Demo { database, listen } => {
            let mut settings = Settings::from_env()?;
            if database.starts_with("postgres://") || database.starts_with("postgresql://") {
                settings.database_url = database.clone();
            } else {
                for suffix in ["", "-wal", "-shm", ".secret"] {
                    let _ = std::fs::remove_file(format!("{database}{suffix}"));
                }
                settings.database_url = format!("sqlite://{database}?mode=rwc");
            }
            settings.listen = listen.clone();
            if std::env::var_os("CRENEAU_PUBLIC_URL").is_none() {
                settings.public_url = format!("http://{listen}");
            }
            if std::env::var_os("CRENEAU_MAIL_DIR").is_none() {
                settings.mail_dir = "creneau-demo-mail".into();
            }
            if std::env::var_os("CRENEAU_SMS_DIR").is_none() {
                settings.sms_dir = "creneau-demo-sms".into();
            }
            // Last run's messages carry links into a database that no longer exists.
            let _ = std::fs::remove_dir_all(&settings.mail_dir);
            let _ = std::fs::remove_dir_all(&settings.sms_dir);
            creneau::platform::logging::init(settings.log_json);
            let app = Application::build(settings, Clock::system()).await?;
            demo::seed(&app.state).await.context("filling the demo database")?;
            let s = &app.state.settings;
            let mail = match s.smtp_url.as_ref().map(|u| u.expose_secret()) {
                Some(url) => format!("envoyés par {}", url.split('@').next_back().unwrap_or(url)),
                None => format!("écrits dans {}/ (fichiers .eml)", s.mail_dir.display()),
            };
            let sms = match s.sms_url {
                Some(_) => format!("envoyés par {}", app.state.sms.describe()),
                None => format!("écrits dans {}/ (fichiers .txt)", s.sms_dir.display()),
            };
            let banner = format!(
                "Créneau — démonstration (Ville d'Arles)\n  Site :        http://{listen}/\n  API :         http://{listen}/docs\n  \
                 Connexion agent : {} / {}\n  E-mails :     {mail}\n  SMS :         {sms}\n",
                demo::DEMO_ADMIN_EMAIL,
                demo::DEMO_PASSWORD,
                listen = s.listen,
            );
            // The banner with the login comes last, once the server answers: the start-up
            // lines (migrations, the worker, the listener) are above it, not over it.
            let port = app.port();
            tokio::spawn(async move {
                wait_until_answering(port).await;
                print!("{banner}");
            });
            serve(app).await
        }
        Command::Staff {
            command:
                StaffCommand::Add {
                    email,
                    name,
                    role,
                    organisation_name,
                },
        } => {
            let settings = Settings::from_env()?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let db = creneau::platform::db::connect(&settings.database_url).await?;
            let state = AppState::new(db, Clock::system(), settings)?;
            let org = creneau::auth::provisioning::organisation_named(
                &state.db,
                &state.clock,
                &organisation_name,
                &email,
                state.settings.timezone.name(),
            )
            .await?;
            let role = Role::try_from_value(&role).context("role")?;
            let member = create_staff(&state, org.id, &email, &name, role, password)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.problem().message))?;
            println!("Compte créé : {} ({}) pour {}", member.email, member.role, org.name);
            Ok(())
        }
    }
}

/// Returns once `GET /healthz` on this port answers (the server's loop is running).
async fn wait_until_answering(port: u16) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..200 {
        if let Ok(mut conn) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let mut answer = [0u8; 12];
            if conn.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").await.is_ok()
                && conn.read_exact(&mut answer).await.is_ok()
                && answer.starts_with(b"HTTP/1.")
            {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn serve(app: Application) -> anyhow::Result<()> {
    let state = app.state.clone();
    let worker = state.settings.run_worker.then(|| {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(creneau::notifications::worker::run_until(state.clone(), async move {
            let _ = rx.await;
        }));
        (tx, handle)
    });
    app.run_until(shutdown_signal()).await?;
    if let Some((tx, handle)) = worker {
        let _ = tx.send(());
        let _ = handle.await;
    }
    Ok(())
}

/// SIGTERM or Ctrl-C: stop accepting, let in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
