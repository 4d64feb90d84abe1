//! Connections that hold a socket without finishing a request are closed, over raw TCP.
use std::time::{Duration, Instant};

use creneau_tests::app::{Backend, TestApp};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Reads until the server closes the connection; answers how long that took and what came.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (started.elapsed(), seen),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the connection was still open after {limit:?}"),
        }
    }
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed_within_a_few_seconds() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut partial = connect(&app).await;
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut silent = connect(&app).await;
    let ((partial_after, _), (silent_after, _)) = tokio::join!(
        until_closed(&mut partial, Duration::from_secs(15)),
        until_closed(&mut silent, Duration::from_secs(15)),
    );
    for after in [partial_after, silent_after] {
        assert!(
            after <= creneau::http::startup::IDLE_TIMEOUT + Duration::from_secs(3),
            "closed after {after:?}"
        );
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_answer() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        .await
        .unwrap();
    let (after, seen) = until_closed(&mut stream, Duration::from_secs(15)).await;
    let answer = String::from_utf8_lossy(&seen);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        after <= creneau::http::startup::IDLE_TIMEOUT + Duration::from_secs(3),
        "closed after {after:?}"
    );
}
