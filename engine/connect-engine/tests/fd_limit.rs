//! At the process's file-descriptor limit: the server keeps answering the connections it
//! has, does not spin on failing accepts, and serves the connections that waited once
//! descriptors free up. Its own test binary: it exhausts the descriptors of the whole process.

mod support;

use std::fs::File;
use std::io::Write;
use std::net::TcpStream;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use connect_engine::runtime::Driver;
use support::{TestServer, post, read_response, text};

/// CPU time (user + system) this process has used, in clock ticks, read through `stat`
/// (`/proc/self/stat`, opened before the descriptors run out).
fn cpu_ticks(stat: &File) -> u64 {
    let mut buf = [0u8; 1024];
    let n = stat.read_at(&mut buf, 0).unwrap();
    let stat = std::str::from_utf8(&buf[..n]).unwrap();
    let after_name = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of proc(5), counted after the name: 12 and 13 here.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn echo(s: &mut TcpStream, what: &str) {
    s.write_all(&post(
        "/test.Test/Echo",
        "application/proto",
        "",
        &text(what),
    ))
    .unwrap();
    let (status, _, body) = read_response(s);
    assert_eq!(status, 200);
    assert_eq!(body, text(what));
}

#[test]
fn at_the_descriptor_limit_the_server_serves_what_it_has_and_recovers() {
    let mut drivers = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        drivers.push(Driver::IoUring);
    }
    let per_second = ticks_per_second();
    let stat = File::open("/proc/self/stat").unwrap();
    for driver in drivers {
        let server = TestServer::with_driver(driver);
        let mut open = server.connect();
        echo(&mut open, "before");

        // Use up every descriptor the process may have...
        let mut hog = Vec::new();
        loop {
            match File::open("/dev/null") {
                Ok(f) => hog.push(f),
                Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
                Err(e) => panic!("{driver:?}: unexpected error while exhausting fds: {e}"),
            }
            assert!(hog.len() < 1 << 20, "no descriptor limit?");
        }
        // ...but one, for a client socket: the kernel completes its handshake into the
        // listen backlog, and the server's accept fails with EMFILE.
        drop(hog.pop());
        let mut waiting = TcpStream::connect(server.addr).unwrap();
        waiting
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        waiting
            .write_all(&post(
                "/test.Test/Echo",
                "application/proto",
                "",
                &text("waited"),
            ))
            .unwrap();

        // The connection it has is still served, and a second of failing accepts costs
        // little CPU (a spinning accept loop would burn the whole second).
        let before = cpu_ticks(&stat);
        for i in 0..10 {
            echo(&mut open, &format!("at the limit {i}"));
            std::thread::sleep(Duration::from_millis(100));
        }
        let used = cpu_ticks(&stat) - before;
        assert!(
            used * 4 < per_second,
            "{driver:?}: {used} ticks of CPU in about a second at the fd limit (of {per_second})"
        );

        // Descriptors free up: the connection that waited in the backlog is served.
        drop(hog);
        let (status, _, body) = read_response(&mut waiting);
        assert_eq!(status, 200, "{driver:?}");
        assert_eq!(body, text("waited"));
        echo(&mut open, "after");
        let mut fresh = server.connect();
        echo(&mut fresh, "fresh");
        server.shutdown().unwrap();
    }
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 if that fails).
fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}
