//! Hostile clients: out-of-range parameters, idle connections, a connection flood.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use huntbrief_server::ConnLimits;

use crate::{CAMPAIGN, Server, stored};

#[test]
fn out_of_range_parameters_are_400_not_a_dropped_connection() {
    let server = Server::start("params", &[stored(1, "Campaign", CAMPAIGN)]);
    let huge = u64::MAX.to_string();
    let collection = server.state.snapshot().taxii.collection_ids()[0].clone();
    for path in [
        "/api/techniques?days=100000000".to_owned(),
        "/api/techniques?days=-1".to_owned(),
        format!("/api/techniques?days={huge}"),
        "/api/techniques?days=abc".to_owned(),
        format!("/api/briefings?offset={huge}"),
        "/api/briefings?offset=10000001".to_owned(),
        "/api/briefings?limit=-3".to_owned(),
        format!("/?offset={huge}"),
        "/techniques?days=99999999999999999999999".to_owned(),
        format!("/taxii2/api1/collections/{collection}/objects/?next={huge}"),
        format!("/taxii2/api1/collections/{collection}/objects/?next=10000001"),
    ] {
        let r = server.get(&path);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
    }
    // In range still answers.
    assert_eq!(server.get("/api/techniques?days=36500").status, 200);
    assert_eq!(server.get("/api/briefings?offset=10000000").status, 200);
    assert_eq!(
        server.get("/techniques?days=100000000").status,
        200,
        "clamped"
    );
}

/// Whether the server closes `stream` (EOF) within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = Vec::new();
    // EOF, or a reset: either way the server let go. A timeout means it held on.
    match stream.read_to_end(&mut buf) {
        Ok(_) => true,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn idle_and_half_sent_connections_are_closed() {
    let limits = ConnLimits {
        header_timeout: Duration::from_millis(300),
        ..ConnLimits::default()
    };
    let server = Server::start_with("idle", &[], limits);
    let mut silent = TcpStream::connect(server.addr).unwrap();
    let mut partial = TcpStream::connect(server.addr).unwrap();
    partial
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // A keep-alive connection that made one request, then went quiet.
    let mut kept = TcpStream::connect(server.addr).unwrap();
    kept.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let start = Instant::now();
    for (name, stream) in [
        ("silent", &mut silent),
        ("partial", &mut partial),
        ("kept", &mut kept),
    ] {
        assert!(closed_within(stream, Duration::from_secs(5)), "{name} held");
    }
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn health_answers_while_many_idle_connections_are_open() {
    let server = Server::start("flood", &[]);
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    let r = server.request("/api/health", None);
    assert_eq!(r.status, 200, "{}", r.text());
    drop(idle);
}

#[test]
fn connections_over_the_cap_are_closed_at_once_and_the_cap_frees_up() {
    let limits = ConnLimits {
        header_timeout: Duration::from_millis(500),
        max_connections: 4,
        ..ConnLimits::default()
    };
    let server = Server::start_with("cap", &[], limits);
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut over = TcpStream::connect(server.addr).unwrap();
    assert!(closed_within(&mut over, Duration::from_millis(400)));
    // Once the idle ones time out, requests are served again.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(server.request("/api/health", None).status, 200);
    drop(idle);
}
