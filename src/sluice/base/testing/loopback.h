// Loopback sockets for the test servers and proxies: a free port, a listening socket on a fresh
// port, and whether a port accepts connections yet.
//
// Thread safety: pure functions over the system's sockets; any thread.
#pragma once

namespace sluice::testing {

// A port free on 127.0.0.1 now (bound and released). IoError when none can be bound.
int FreeLoopbackPort();
// A listening socket (close-on-exec) on 127.0.0.1 at a fresh port, returned in *port.
// IoError on failure.
int ListenOnLoopback(int backlog, int* port);
// Whether 127.0.0.1:port accepts a connection.
bool LoopbackPortAccepts(int port);

}  // namespace sluice::testing
