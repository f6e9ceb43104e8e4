//! A plain nginx reverse proxy in front of one source system: the baseline for the router's
//! throughput. It speaks mutual TLS on both sides, like the router, and keeps upstream
//! connections alive.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs nginx.
pub const DEFAULT_BINARY: &str = "/usr/sbin/nginx";

/// The TLS material nginx uses: its own certificate (server and upstream client) and the CA.
pub struct Tls<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
    pub ca: &'a Path,
}

/// A running nginx, stopped on drop.
pub struct Nginx {
    binary: PathBuf,
    dir: PathBuf,
    child: Child,
    /// Where clients send their calls.
    pub url: String,
}

impl Nginx {
    /// Writes a configuration into `dir` proxying to `upstream` (`host:port`, HTTPS) and starts
    /// `binary` on it, in the foreground, as a child process.
    pub fn start(
        binary: &Path,
        dir: &Path,
        upstream: &str,
        tls: &Tls<'_>,
    ) -> anyhow::Result<Nginx> {
        std::fs::create_dir_all(dir)?;
        // A free port: bind one, let it go, give it to nginx.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(dir, port, upstream, tls))?;
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        let mut nginx = Nginx {
            binary: binary.to_owned(),
            dir: dir.to_owned(),
            child,
            url: format!("https://127.0.0.1:{port}/"),
        };
        nginx.wait_listening(port)?;
        Ok(nginx)
    }

    /// Waits (at most 10 s) until nginx accepts connections.
    fn wait_listening(&mut self, port: u16) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
                anyhow::bail!("nginx exited ({status}):\n{log}");
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        anyhow::bail!("nginx is not listening on port {port} after 10 s")
    }
}

impl Drop for Nginx {
    /// `nginx -s stop` makes the master stop its workers too (killing only the master would
    /// leave them running); the master is killed only if that fails.
    fn drop(&mut self) {
        let stopped = Command::new(&self.binary)
            .arg("-p")
            .arg(&self.dir)
            .arg("-c")
            .arg(self.dir.join("nginx.conf"))
            .args(["-s", "stop"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The configuration: two workers, TLS with required client certificates on the listener, and
/// a kept-alive mTLS upstream verified against the CA.
fn config(dir: &Path, port: u16, upstream: &str, tls: &Tls<'_>) -> String {
    let (dir, cert, key, ca) = (
        dir.display(),
        tls.cert.display(),
        tls.key.display(),
        tls.ca.display(),
    );
    format!(
        r#"worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    upstream source {{
        server {upstream};
        keepalive 64;
        keepalive_requests 1000000;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_client_certificate {ca};
        ssl_verify_client on;
        keepalive_requests 1000000;
        location / {{
            proxy_pass https://source;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_ssl_certificate {cert};
            proxy_ssl_certificate_key {key};
            proxy_ssl_trusted_certificate {ca};
            proxy_ssl_verify on;
            proxy_ssl_name localhost;
            proxy_ssl_session_reuse on;
            # Workers may run as another user than the master: never spill answers to disk.
            proxy_max_temp_file_size 0;
        }}
    }}
}}
"#
    )
}
