//! externaldata over a real HTTP server on 127.0.0.1.

use super::*;

/// A tiny HTTP/1.1 server on 127.0.0.1 with canned routes.
struct TestServer {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    workers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl TestServer {
    fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let stop = stop.clone();
            let workers = workers.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let stop = stop.clone();
                    let handle = std::thread::spawn(move || serve(conn, &stop));
                    workers.lock().expect("lock").push(handle);
                }
            })
        };
        TestServer { port, stop, accept: Some(accept), workers }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn shutdown(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            accept.join().expect("accept thread");
        }
        for worker in self.workers.lock().expect("lock").drain(..) {
            worker.join().expect("worker thread");
        }
    }
}

fn serve(mut conn: TcpStream, stop: &AtomicBool) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request);
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let ok = |body: &[u8]| {
        let mut response =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                .into_bytes();
        response.extend_from_slice(body);
        response
    };
    let response = match path.as_str() {
        "/ipsum/4.txt" => ok(b"# IPsum level 4\r\n10.0.0.1\r\n10.0.0.2\r\n\r\nnot-an-ip\r\n"),
        "/kev.csv" => ok(b"cveID,vendor,dateAdded,known\nCVE-2024-0001,\"Acme, Inc.\",2024-05-01,true\nCVE-2024-0002,Other,2024-05-02 10:00:00,False\n"),
        "/bad.csv" => ok(b"CVE-1,notanumber\n"),
        "/big-with-length" => ok(&[b'x'; 5000]),
        "/big-streamed" => {
            // No Content-Length: the body ends when the connection closes.
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            for _ in 0..50 {
                if conn.write_all(&[b'y'; 1000]).is_err() {
                    break;
                }
            }
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
        "/silent" => {
            // Accept and never answer, until the server stops.
            let start = Instant::now();
            while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found".to_vec(),
    };
    let _ = conn.write_all(&response);
    let _ = conn.shutdown(Shutdown::Both);
}

fn txt_request(url: String) -> ExternalRequest {
    ExternalRequest {
        uris: vec![url],
        columns: vec![("IP".to_string(), ScalarType::String)],
        properties: vec![
            ("format".to_string(), PropertyValue::String("txt".to_string())),
            ("ignorefirstrecord".to_string(), PropertyValue::String("true".to_string())),
        ],
    }
}

fn local_options() -> FetchOptions {
    FetchOptions { timeout: Duration::from_secs(1), max_bytes: 4096, proxy_from_env: false }
}

#[tokio::test]
async fn externaldata_over_http() {
    let server = TestServer::start();
    let opts = local_options();
    let none = Redirects::new();

    // txt, first record skipped, CRLF lines, empty lines kept.
    let batches = fetch_external(&txt_request(server.url("/ipsum/4.txt")), &none, &opts).await.expect("txt");
    assert_eq!(
        strings(&concat(&batches), "IP"),
        ["10.0.0.1", "10.0.0.2", "", "not-an-ip"].map(|s| Some(s.to_string()))
    );

    // csv with typed columns.
    let csv = ExternalRequest {
        uris: vec![server.url("/kev.csv")],
        columns: vec![
            ("cveID".to_string(), ScalarType::String),
            ("vendor".to_string(), ScalarType::String),
            ("dateAdded".to_string(), ScalarType::DateTime),
            ("known".to_string(), ScalarType::Bool),
        ],
        properties: vec![
            ("format".to_string(), PropertyValue::String("csv".to_string())),
            ("ignoreFirstRecord".to_string(), PropertyValue::Bool(true)),
        ],
    };
    let batch = concat(&fetch_external(&csv, &none, &opts).await.expect("csv"));
    assert_eq!(strings(&batch, "vendor"), [Some("Acme, Inc.".to_string()), Some("Other".to_string())]);
    let dates = batch.column_by_name("dateAdded").expect("col").as_primitive::<TimestampNanosecondType>();
    assert_eq!((dates.value(0), dates.value(1)), (1_714_521_600_000_000_000, 1_714_644_000_000_000_000));
    assert_eq!(
        batch.column_by_name("known").expect("col").as_boolean().iter().collect::<Vec<_>>(),
        [Some(true), Some(false)]
    );
    assert_eq!(batch.schema().field(2).metadata().get("kql.type").map(String::as_str), Some("datetime"));

    // A value that does not convert names URL, line and column.
    let bad = ExternalRequest {
        uris: vec![server.url("/bad.csv")],
        columns: vec![("id".to_string(), ScalarType::String), ("n".to_string(), ScalarType::Long)],
        properties: vec![],
    };
    let err = fetch_external(&bad, &none, &opts).await.expect_err("bad long");
    assert_eq!(
        err.to_string(),
        format!("{}:1: column `n`: \"notanumber\" is not a long", server.url("/bad.csv"))
    );

    // 404.
    let err = fetch_external(&txt_request(server.url("/missing.txt")), &none, &opts).await.expect_err("404");
    assert!(matches!(err, DataError::Fetch { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&server.url("/missing.txt")) && text.contains("404"), "{text}");

    // The server accepts and never answers.
    let started = Instant::now();
    let err = fetch_external(&txt_request(server.url("/silent")), &none, &opts).await.expect_err("timeout");
    assert!(matches!(err, DataError::FetchTimeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.to_string().contains("/silent"), "{err}");

    // Size cap, announced and streamed.
    for path in ["/big-with-length", "/big-streamed"] {
        let err = fetch_external(&txt_request(server.url(path)), &none, &opts).await.expect_err("too large");
        assert!(matches!(err, DataError::FetchTooLarge { cap: 4096, .. }), "{path}: {err:?}");
        assert!(err.to_string().contains(path), "{err}");
    }

    // Redirects: to another local URL and to a local file.
    let dir = tempfile::tempdir().expect("temp dir");
    let local = write(dir.path(), "feed.txt", "header\n192.0.2.1\n");
    let mut redirects = Redirects::new();
    redirects
        .add_arg(&format!("https://feeds.example.invalid/level4.txt?ver=2={}", server.url("/ipsum/4.txt")))
        .expect("url redirect");
    redirects
        .add_arg(&format!("https://feeds.example.invalid/other.txt={}", local.display()))
        .expect("file redirect");
    let batches = fetch_external(
        &txt_request("https://feeds.example.invalid/level4.txt?ver=2".to_string()),
        &redirects,
        &opts,
    )
    .await
    .expect("url redirect");
    assert_eq!(concat(&batches).num_rows(), 4);
    let batches = fetch_external(
        &txt_request("https://feeds.example.invalid/other.txt".to_string()),
        &redirects,
        &opts,
    )
    .await
    .expect("file redirect");
    assert_eq!(strings(&concat(&batches), "IP"), [Some("192.0.2.1".to_string())]);

    // A file:// URL with two URIs: rows are concatenated.
    let file_url = format!("file://{}", local.display());
    let mut two = txt_request(file_url);
    two.uris.push(server.url("/ipsum/4.txt"));
    let batches = fetch_external(&two, &none, &opts).await.expect("file and http");
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 5);

    // Unknown format or property.
    let mut odd = txt_request(server.url("/ipsum/4.txt"));
    odd.properties[0].1 = PropertyValue::String("avro".to_string());
    let err = fetch_external(&odd, &none, &opts).await.expect_err("avro");
    assert_eq!(
        miette::Diagnostic::code(&err).map(|c| c.to_string()).as_deref(),
        Some("kql::data::externaldata_format")
    );

    server.shutdown();
}
