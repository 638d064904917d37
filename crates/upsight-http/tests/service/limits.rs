//! Body cap, deadline, in-flight cap, and flat 404/405/500 answers.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

use crate::{
    app, app_with, assert_flat, assert_security_headers, config, get_req, request, send, text,
};

const TWO_MIB: usize = 2 * 1024 * 1024;

#[tokio::test]
async fn an_over_cap_content_length_is_413_up_front() {
    let req = request("POST", "/echo")
        .header(header::CONTENT_LENGTH, TWO_MIB)
        .body(Body::from(vec![b'x'; TWO_MIB]))
        .unwrap();
    let res = send(&app(config()), req).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_flat(res, "payload too large").await;
}

#[tokio::test]
async fn a_body_without_length_is_counted_as_read() {
    // `map_frame` hides the size hint: nothing announces the length, only reading finds it.
    let streamed = Full::new(axum::body::Bytes::from(vec![b'x'; TWO_MIB])).map_frame(|f| f);
    let req = request("POST", "/echo").body(Body::new(streamed)).unwrap();
    let res = send(&app(config()), req).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_flat(res, "payload too large").await;

    let small = request("POST", "/echo")
        .body(Body::from(vec![b'x'; 1000]))
        .unwrap();
    let res = send(&app(config()), small).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "1000");
}

#[tokio::test]
async fn a_lying_content_length_is_refused() {
    let req = request("POST", "/echo")
        .header(header::CONTENT_LENGTH, "twelve")
        .body(Body::empty())
        .unwrap();
    let res = send(&app(config()), req).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

/// A real chunked upload over loopback: hyper decodes the chunks, nothing states a length.
#[tokio::test]
#[allow(
    clippy::disallowed_methods,
    reason = "test client on loopback, bounded by a timeout"
)]
async fn a_chunked_upload_over_a_socket_is_413() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app(config()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });

    let stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let upload = tokio::spawn(async move {
        let head = "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b'x'; 64 * 1024];
        let mut frame = Vec::new();
        write!(frame, "{:x}\r\n", chunk.len())?;
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        for _ in 0..(TWO_MIB / chunk.len()) {
            writer.write_all(&frame).await?;
        }
        writer.write_all(b"0\r\n\r\n").await
    });
    let mut response = Vec::new();
    let read = reader.read_to_end(&mut response);
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .unwrap()
        .ok();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413 "), "{response}");
    assert!(response.contains("x-frame-options: DENY"), "{response}");
    assert!(
        response.ends_with("{\"error\":\"payload too large\"}"),
        "{response}"
    );
    upload.abort();
    server.abort();
}

#[tokio::test]
async fn a_slow_handler_hits_the_deadline_with_503() {
    let mut config = config();
    config.limits.request_timeout = Duration::from_millis(50);
    let res = send(&app(config), get_req("/slow")).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_flat(res, "internal error").await;
}

#[tokio::test]
async fn requests_beyond_the_in_flight_cap_are_shed() {
    let mut config = config();
    config.limits.max_in_flight = 1;
    config.limits.request_timeout = Duration::from_secs(30);
    let entered = Arc::new(Notify::new());
    let app = app_with(config, Arc::clone(&entered));
    let holder = tokio::spawn(send_owned(app.clone(), "/held"));
    entered.notified().await;
    let res = send(&app, get_req("/healthz")).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_flat(res, "internal error").await;
    holder.abort();
}

async fn send_owned(app: axum::Router, uri: &'static str) {
    send(&app, get_req(uri)).await;
}

#[tokio::test]
async fn unknown_paths_and_methods_are_flat() {
    let app = app(config());
    let res = send(&app, get_req("/nope")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_flat(res, "not found").await;
    let res = send(&app, get_req("/api/v1/nope")).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "unknown gated paths are 404, not 401"
    );
    let res = send(
        &app,
        request("DELETE", "/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().contains_key(header::ALLOW));
    assert_flat(res, "method not allowed").await;
}

#[tokio::test]
async fn a_server_without_connect_info_answers_500() {
    let req = axum::http::Request::get("/healthz")
        .body(Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(app(config()), req)
        .await
        .unwrap();
    assert_security_headers(res.headers());
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_flat(res, "internal error").await;
}
