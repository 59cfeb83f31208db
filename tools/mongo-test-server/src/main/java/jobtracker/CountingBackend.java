package jobtracker;

import java.util.concurrent.atomic.AtomicLong;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * mongo-java-server's in-memory backend, with filters that pin {@code _id} answered from the
 * {@code _id} index, and a count of the queries it answers by reading a whole collection (a
 * "collection scan": a find, update, delete or distinct that no index served).
 *
 * <p>mongo-java-server 1.47.0 lets an index serve a filter only when the filter's fields are
 * exactly the index's ({@code AbstractUniqueIndex.canHandle}), so {@code {_id: X, status: "open"}}
 * reads every document of the collection (15-19 ms per update on 50,000 documents against
 * 0.65 ms by {@code _id} alone). Here such a filter takes the documents the {@code _id} index
 * gives for {@code {_id: X}} (or {@code {_id: {$in: [...]}}}) and then applies the whole filter
 * to them: the same answer, read from at most as many documents as the filter pins.
 *
 * <p>The command {@code {jobtrackerScanStats: 1}} answers the counters since the last
 * {@code {jobtrackerScanStats: 1, reset: true}}: {@code collectionScans} and
 * {@code documentsScanned} (the documents those scans read). Tests use it to check that a query
 * is served by an index (a structural check, not a timing).
 */
final class CountingBackend extends MemoryBackend {

    static final String SCAN_STATS = "jobtrackerScanStats";
    private static final String ID = "_id";

    // One server per JVM: the counters are the process's (a collection made while its database
    // is being constructed has no backend to call yet).
    private static final AtomicLong collectionScans = new AtomicLong();
    private static final AtomicLong documentsScanned = new AtomicLong();

    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
        return new CountingDatabase(databaseName, getCursorRegistry());
    }

    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        if (command.equalsIgnoreCase(SCAN_STATS)) {
            Document response = new Document("collectionScans", collectionScans.get());
            response.put("documentsScanned", documentsScanned.get());
            if (Boolean.TRUE.equals(query.get("reset"))) {
                collectionScans.set(0);
                documentsScanned.set(0);
            }
            Utils.markOkay(response);
            return response;
        }
        return super.handleCommand(channel, databaseName, command, query);
    }

    static void countScan(int documents) {
        collectionScans.incrementAndGet();
        documentsScanned.addAndGet(documents);
    }

    private static final class CountingDatabase extends MemoryDatabase {
        CountingDatabase(String databaseName, CursorRegistry cursorRegistry) {
            super(databaseName, cursorRegistry);
        }

        @Override
        protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
            return new CountingCollection(this, collectionName, options, cursorRegistry);
        }
    }

    /** A collection that counts its collection scans. */
    static class CountingCollection extends MemoryCollection {
        CountingCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                           CursorRegistry cursorRegistry) {
            super(database, collectionName, options, cursorRegistry);
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                             int batchSize, Document fieldSelector) {
            Object id = query.get(ID);
            if (query.size() > 1 && id != null) {
                Document byId = new Document(ID, id);
                for (Index<Integer> index : getIndexes()) {
                    if (index.canHandle(byId)) {
                        Iterable<Integer> positions = index.getPositions(byId);
                        return matchDocuments(query, positions, orderBy, numberToSkip, limit, batchSize,
                            fieldSelector);
                    }
                }
            }
            return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }

        @Override
        protected QueryResult matchDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                             int batchSize, Document fieldSelector) {
            countScan(count());
            return super.matchDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }
    }
}
