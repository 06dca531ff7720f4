//! A PostgreSQL server of the tests' own: `initdb` + `pg_ctl` in a temporary
//! directory (as the `postgres` user when running as root, since `initdb` refuses
//! root), on a free port, with fsync off. One server is shared per test binary
//! ([`PgServer::shared`]) with a fresh database per test ([`PgServer::database`]);
//! tests that stop and start the server get their own ([`PgServer::start`]).
//!
//! No server outlives its test binary: each server has a watchdog process that
//! stops it (and removes its directory) as soon as the test process is gone,
//! whether it exited normally, panicked or was killed.
//!
//! Server binaries: `$CASEFLOW_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`
//! (`make deps` installs the `postgresql` package when missing).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// Where `initdb`, `pg_ctl` and `psql` are; panics with what to do when missing.
pub fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("CASEFLOW_PG_BIN") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("initdb").exists(),
            "CASEFLOW_PG_BIN={} has no initdb",
            dir.display()
        );
        return dir;
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b).unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb and no CASEFLOW_PG_BIN). \
             Run `make deps` (or `apt-get install -y postgresql`)."
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A running PostgreSQL server.
pub struct PgServer {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    as_postgres: bool,
    watchdog: Option<Child>,
}

impl PgServer {
    /// The server shared by every test of this test binary.
    pub fn shared() -> &'static PgServer {
        static S: OnceLock<PgServer> = OnceLock::new();
        S.get_or_init(PgServer::start)
    }

    /// A server of its own (stopped on drop, or by its watchdog).
    pub fn start() -> PgServer {
        let bin = pg_bin();
        let as_postgres = is_root();
        let dir = std::env::temp_dir().join(format!(
            "caseflow-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(dir.join("sock")).expect("create the PostgreSQL temp dir");
        if as_postgres {
            let st = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("run chown");
            assert!(
                st.success(),
                "chown postgres {} failed (does the `postgres` user exist? `make deps`)",
                dir.display()
            );
        }
        let port = free_port();
        let mut s = PgServer {
            dir,
            port,
            bin,
            as_postgres,
            watchdog: None,
        };
        let out = s
            .cmd("initdb")
            .args(["-D"])
            .arg(s.data())
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
                "--locale=C",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\nshared_buffers = 128MB\n",
            s.dir.join("sock").display()
        );
        let mut pc = std::fs::read_to_string(s.data().join("postgresql.conf"))
            .expect("read postgresql.conf");
        pc.push_str(&conf);
        std::fs::write(s.data().join("postgresql.conf"), pc).expect("write postgresql.conf");
        s.watchdog = Some(s.spawn_watchdog());
        s.start_server();
        s
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn cmd(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// A shell process that waits for this test process to end, then stops the
    /// server and removes its directory.
    fn spawn_watchdog(&self) -> Child {
        let stop = format!(
            "{}{} -D '{}' stop -m immediate",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            self.bin.join("pg_ctl").display(),
            self.data().display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            dir = self.dir.display()
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the PostgreSQL watchdog (setsid sh)")
    }

    /// Start the (stopped) server and wait until it accepts connections.
    pub fn start_server(&self) {
        let out = self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "-t", "120", "start"])
            .stdin(Stdio::null())
            .output()
            .expect("run pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        );
    }

    /// Stop the server (fast shutdown: connections are cut).
    pub fn stop_server(&self) {
        self.stop_server_mode("fast");
    }

    /// Crash the server (immediate shutdown: no shutdown checkpoint; commits
    /// made without waiting for the flush may be lost, as in a power cut of the
    /// server alone; the next start runs crash recovery).
    pub fn crash_server(&self) {
        self.stop_server_mode("immediate");
    }

    fn stop_server_mode(&self, mode: &str) {
        let out = self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-m", mode, "stop"])
            .stdin(Stdio::null())
            .output()
            .expect("run pg_ctl stop");
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Run SQL as the superuser in `db` (a name or a URL of this server).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.try_psql(db, sql)
            .unwrap_or_else(|e| panic!("psql `{sql}` failed: {e}"))
    }

    /// [`PgServer::psql`] that reports failure (e.g. while the server is down).
    pub fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let db = db.rsplit('/').next().unwrap_or(db);
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-p",
            ])
            .arg(self.port.to_string())
            .args(["-d", db, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// A fresh, empty database; returns its URL.
    pub fn database(&self) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
