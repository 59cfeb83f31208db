package jobtracker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;

/**
 * In-memory MongoDB wire-protocol server for jobtracker's tests and demos.
 *
 * <p>Usage: {@code java -jar mongo-test-server.jar [--host 127.0.0.1] [--port 0]
 * [--exit-on-stdin-eof]}. Port 0 picks a free port. Once bound it prints exactly one line
 * {@code LISTENING <host>:<port>} to stdout and serves until killed; SIGTERM/SIGINT shut it down
 * cleanly. With {@code --exit-on-stdin-eof} it also exits when its stdin closes, so a server
 * started by a test process (stdin = a pipe) dies with that process even if it is SIGKILLed.
 * All data lives in memory only. The command {@code {jobtrackerScanStats: 1}} reports the
 * collection scans it made ({@link CountingBackend}).
 */
public final class MongoTestServer {

    /**
     * The server version reported to clients. mongo-java-server 1.47.0 defaults to MongoDB 5.0 /
     * wire version 8, which pymongo >= 4.18 refuses, so we report MongoDB 7.0 / wire version 17.
     */
    static final MongoVersion MONGO_7_0 = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(7, 0, 0);
        }

        @Override
        public int getWireVersion() {
            return 17;
        }
    };

    private static final String USAGE =
            "usage: java -jar mongo-test-server.jar [--host HOST] [--port PORT] [--exit-on-stdin-eof]";

    private MongoTestServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        // Before any logger exists: keep the output small (warnings and errors only, on stderr).
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");

        String host = "127.0.0.1";
        int port = 0;
        boolean exitOnStdinEof = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--host" -> host = value(args, ++i, arg);
                case "--port" -> port = parsePort(value(args, ++i, arg));
                case "--exit-on-stdin-eof" -> exitOnStdinEof = true;
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    System.out.println("In-memory MongoDB (reports 7.0, wire version 17); --port 0 picks a free port.");
                    return;
                }
                default -> usageError("unknown argument: " + arg);
            }
        }

        MongoServer server = new MongoServer(new CountingBackend().version(MONGO_7_0));
        try {
            server.bind(host, port);
        } catch (Exception e) { // Netty rethrows checked exceptions such as BindException unchecked
            // Exit explicitly: Netty's non-daemon event loop threads would keep the JVM alive.
            System.err.println("mongo-test-server: cannot bind " + host + ":" + port + ": " + rootMessage(e));
            System.exit(1);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdownNow();
            } finally {
                stopped.countDown();
            }
        }, "mongo-test-server-shutdown"));

        InetSocketAddress address = server.getLocalAddress();
        System.out.println("LISTENING " + host + ":" + address.getPort());
        System.out.flush();

        if (exitOnStdinEof) {
            Thread watcher = new Thread(MongoTestServer::exitOnStdinEof, "mongo-test-server-stdin");
            watcher.setDaemon(true);
            watcher.start();
        }

        // Netty's worker threads keep serving; the main thread just waits for the shutdown hook.
        stopped.await();
    }

    /** Blocks until stdin reaches EOF (the parent went away), then exits via the shutdown hook. */
    private static void exitOnStdinEof() {
        try {
            byte[] buffer = new byte[256];
            while (System.in.read(buffer) >= 0) {
                // ignore input; only EOF matters
            }
        } catch (IOException e) {
            // a broken stdin means the parent is gone as well
        }
        System.exit(0);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            usageError(option + " needs a value");
        }
        return args[index];
    }

    private static int parsePort(String text) {
        try {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) {
                usageError("port out of range: " + text);
            }
            return port;
        } catch (NumberFormatException e) {
            usageError("not a port number: " + text);
            return -1; // unreachable
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    private static void usageError(String message) {
        System.err.println("mongo-test-server: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }
}
