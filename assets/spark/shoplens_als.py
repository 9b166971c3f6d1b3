"""shoplens' ALS job for Apache Spark.

shoplens writes a hand-off folder (train events as Parquet partitioned by day,
the id maps, and job.json) and submits this script with spark-submit:

    spark-submit --master local[2] shoplens_als.py WORK_DIR/job.json

It trains MLlib's implicit ALS and writes the factors as Parquet
(`user_factors/`, `item_factors/`: columns `id` int, `features`
array<float>), which shoplens reads back and evaluates itself.

A file too big to open in shoplens is handed off whole instead: job.json
then has a `source` (the raw delimited file, its user, item, event and time
columns, the weight of each event name and, for order lines, the columns
order cleaning reads) and no `train`. The job reads
the file itself, numbers users and items by their sorted ids (whole numbers
by value, as shoplens does), holds out
each customer's last event (by time, then item; by file order without a
time column), trains on the rest, and writes what shoplens needs to
evaluate a (seeded) sample of customers on its own metrics: the sample's
train items and held-out item (`eval/`), every item's number of train
customers (`item_users/`), the id maps (`users/`, `items/`) and the counts
(`summary.json`).

Conventions (MLlib's, not shoplens' own ALS): the events of a (user, item)
pair are summed into r; the pair's preference is 1 and its confidence
c = 1 + alpha * r; unobserved pairs have preference 0 and confidence 1; the
penalty of a user's (item's) factors is regParam times the number of items
(users) it has. shoplens' own ALS follows the implicit library instead:
c = alpha * r and an unscaled penalty.

Everything shoplens needs to follow the job is printed on stdout as lines
`SHOPLENS {json}`: started (Spark version, master, application id), phase,
progress (from Spark's status tracker), done, failed. Nothing here is
interactive, so the job can run on a cluster as well as on a laptop.
"""

import json
import sys
import threading
import time
import traceback


def emit(event, **fields):
    fields["event"] = event
    print("SHOPLENS " + json.dumps(fields), flush=True)


def watch(sc, stop, started):
    """Report every half second the running stages (their tasks) and how
    many ALS solves have finished."""
    tracker = sc.statusTracker()
    while not stop.wait(0.5):
        try:
            emit_progress(tracker, started)
        except Exception:  # the tracker is best effort: never fail the job for it
            pass


def solves_finished(tracker):
    """Half-iterations ALS has finished: in implicit mode every solve first
    computes YtY with one `aggregate` job (ALS.computeYtY), so the finished
    jobs with such a stage count the user and item solves done."""
    count = 0
    for job_id in tracker.getJobIdsForGroup():
        job = tracker.getJobInfo(job_id)
        if job is None or str(job.status) != "SUCCEEDED":
            continue
        for stage_id in job.stageIds:
            stage = tracker.getStageInfo(stage_id)
            if stage is not None and stage.name.startswith("aggregate at ALS.scala"):
                count += 1
                break
    return count


def emit_progress(tracker, started):
    running = []
    for stage_id in tracker.getActiveStageIds():
        info = tracker.getStageInfo(stage_id)
        if info is not None:
            running.append(
                {
                    "id": stage_id,
                    "name": info.name,
                    "tasks": info.numTasks,
                    "done": info.numCompletedTasks,
                    "active": info.numActiveTasks,
                    "failed": info.numFailedTasks,
                }
            )
    if running:
        emit(
            "progress",
            stages=running,
            solves=solves_finished(tracker),
            secs=round(time.time() - started, 2),
        )


def read_source(spark, F, source):
    """The raw file's records as (user, item, weight, time, row, keep): ids
    trimmed; the weight of the event's lower-cased name (names shoplens does
    not know weigh `other_weight`), 1 without an event column. `keep` is
    false for a row without a user, an item or an event name, or weighing 0
    or less. `row` keeps the file's order for ties and for files without a
    time column.

    Malformed records: a record is judged by all its fields, not only the
    ones read (Spark otherwise prunes the others and never sees a ragged
    row). Without `skip_bad_lines` one fails the job (shoplens' own check
    refused such a file before); with it, records with the wrong number of
    fields and those holding a NUL or bytes that are not UTF-8 (Spark reads
    them as U+FFFD) are left out, as shoplens' loader leaves them out."""
    spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "false")
    skip = bool(source.get("skip_bad_lines"))
    raw = (
        spark.read.option("header", True)
        .option("sep", source["delimiter"])
        .option("quote", '"')
        .option("escape", '"')
        .option("inferSchema", False)
        .option("mode", "DROPMALFORMED" if skip else "FAILFAST")
        .option("multiLine", bool(source.get("multi_line")))
        .csv(source["path"])
    )

    def column(name):
        return F.col("`" + name.replace("`", "``") + "`")

    if skip:
        text = F.concat_ws("\u0001", *[column(c) for c in raw.columns])
        raw = raw.where((F.instr(text, "\u0000") == 0) & (F.instr(text, "\ufffd") == 0))
    user = F.trim(column(source["user"]))
    item = F.trim(column(source["item"]))
    if source.get("event"):
        names = F.lower(F.trim(column(source["event"])))
        table = F.create_map(
            *[F.lit(x) for pair in sorted(source["event_weights"].items()) for x in pair]
        )
        weight = F.when(names.isNull(), F.lit(None)).otherwise(
            F.coalesce(table[names], F.lit(float(source["other_weight"])))
        )
    else:
        weight = F.lit(1.0)
    # try_: a value that is not a time gives null (Spark 4 fails the query
    # on a bad cast otherwise); nulls sort as the oldest.
    if source.get("time") and source.get("time_is_number"):
        when = column(source["time"]).try_cast("double")
    elif source.get("time"):
        when = text_time(F, column(source["time"]))
    else:
        # Without a time column the file's order is the time order (the
        # last row is the newest), as shoplens reads such a file.
        when = F.monotonically_increasing_id().cast("double")
    events = raw.select(
        user.alias("user"),
        item.alias("item"),
        weight.cast("double").alias("weight"),
        when.alias("time"),
        F.monotonically_increasing_id().alias("row"),
        order_line_kept(F, source.get("orders"), column).alias("clean"),
    )
    keep = (
        F.col("user").isNotNull()
        & (F.col("user") != "")
        & F.col("item").isNotNull()
        & (F.col("item") != "")
        & F.col("weight").isNotNull()
        & (F.col("weight") > 0)
        & F.col("clean")
    )
    return events.withColumn("keep", F.coalesce(keep, F.lit(False))).drop("clean")


# The forms shoplens reads besides ISO 8601 and unix numbers
# (`data/timestamp.rs`), as Spark datetime patterns: US M/D/YYYY with a 24-
# or 12-hour clock, D-Mon-YY(YY), and Amazon's MM D, YYYY (or Mon D, YYYY).
TIME_PATTERNS = [
    "M/d/yyyy H:mm:ss",
    "M/d/yyyy H:mm",
    "M/d/yyyy h:mm:ss a",
    "M/d/yyyy h:mm:ssa",
    "M/d/yyyy h:mm a",
    "M/d/yyyy h:mma",
    "M/d/yyyy",
    "d-MMM-yy",
    "d-MMM-yyyy",
    "M d, yyyy",
    "MMM d, yyyy",
]


def text_time(F, value):
    """A text time as microseconds (a double), in any form shoplens reads,
    tried in its order: ISO 8601 first (a ` UTC` or `Z` suffix dropped),
    then the other forms; digits alone are unix seconds, or milliseconds
    above 10^11. Null where no form reads it (it then sorts as the oldest)."""
    text = F.trim(value)
    digits = text.rlike("^[0-9]{1,14}$")
    number = text.try_cast("double")
    unix = F.when(number >= 1e11, F.floor(number / 1000)).otherwise(number) * 1e6
    iso = F.regexp_replace(text, " ?(UTC|Z)$", "")
    forms = [F.try_to_timestamp(iso)] + [F.try_to_timestamp(text, F.lit(p)) for p in TIME_PATTERNS]
    return F.when(digits, unix).otherwise(F.unix_micros(F.coalesce(*forms)).cast("double"))


def order_line_kept(F, orders, column):
    """Whether an order line survives shoplens' order cleaning (true for
    every row when `orders` is None): its quantity and price are numbers
    above 0, and its order number does not start with C (a cancellation).
    A customer id is required anyway."""
    if not orders:
        return F.lit(True)

    def positive(name):
        value = F.trim(column(name)).try_cast("double")
        return value.isNotNull() & ~F.isnan(value) & (value > 0)

    order = F.ltrim(column(orders["order"]))
    cancelled = F.upper(F.substring(order, 1, 1)) == "C"
    return positive(orders["quantity"]) & positive(orders["price"]) & ~F.coalesce(cancelled, F.lit(False))


def quiet_window_warning(spark):
    """Numbering ids in one sorted order runs a window without partitions,
    and Spark warns of it once per task: the log tail shoplens shows would
    be nothing else. The ids are one column of distinct values, so one
    partition is what it takes."""
    try:
        jvm = spark.sparkContext._jvm
        jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(
            "org.apache.spark.sql.execution.window.WindowExec",
            jvm.org.apache.logging.log4j.Level.ERROR,
        )
    except Exception:  # only the log's noise is at stake
        pass


def pairs_from_file(spark, F, spec, started):
    """Read the raw file, split it, write what shoplens evaluates with, and
    return the train pairs (user_idx, item_idx, summed weight)."""
    from pyspark import StorageLevel
    from pyspark.sql import Window

    source, paths = spec["source"], spec["paths"]
    evaluation = spec.get("evaluation", {})
    # Times without a zone are UTC, as shoplens reads them.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    quiet_window_warning(spark)
    records = read_source(spark, F, source).persist(StorageLevel.MEMORY_AND_DISK)
    # Counting them reads the file into the cache the next steps read.
    n_records = records.count()
    events = records.where(F.col("keep")).drop("keep")

    def numbered(name):
        """Distinct ids numbered from 0 in shoplens' order: ids that are
        whole numbers by value, first, then the others as text."""
        ids = events.select(F.col(name).alias("id")).distinct()
        as_number = F.col("id").try_cast("long")
        order = Window.orderBy(as_number.isNull(), as_number, F.col("id"))
        return ids.withColumn(name + "_idx", (F.row_number().over(order) - 1).cast("int"))

    users, items = numbered("user"), numbered("item")
    users.write.mode("overwrite").parquet(paths["users"])
    items.write.mode("overwrite").parquet(paths["items"])
    users = spark.read.parquet(paths["users"]).withColumnRenamed("id", "user")
    items = spark.read.parquet(paths["items"]).withColumnRenamed("id", "item")
    n_users, n_items = users.count(), items.count()
    emit("phase", name="splitting", secs=round(time.time() - started, 2))
    indexed = events.join(users, "user").join(F.broadcast(items) if n_items < 2_000_000 else items, "item")
    # Each customer's last event by time, then item; equal ones: the first
    # in the file (shoplens' leave-last-out).
    last = Window.partitionBy("user_idx").orderBy(
        F.col("time").desc_nulls_last(), F.col("item_idx").desc(), F.col("row").asc()
    )
    events = (
        indexed.select("user_idx", "item_idx", "weight", "time", "row")
        .withColumn("held_out", F.row_number().over(last) == 1)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    train = (
        events.where(~F.col("held_out"))
        .groupBy("user_idx", "item_idx")
        .agg(F.sum("weight").alias("weight"))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    train.groupBy("item_idx").agg(F.count("*").alias("users")).write.mode("overwrite").parquet(
        paths["item_users"]
    )
    # Only now are the split events cached: the file's are not needed again.
    records.unpersist()
    with_history = train.select("user_idx").distinct()
    # A customer is evaluated when their held-out item is not among their
    # train items and they have train items (shoplens' relevant items).
    relevant = (
        events.where(F.col("held_out"))
        .select("user_idx", "item_idx")
        .join(train.select("user_idx", "item_idx"), ["user_idx", "item_idx"], "left_anti")
        .join(with_history, "user_idx", "left_semi")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    relevant_users = relevant.count()
    wanted = int(evaluation.get("users", 0))
    picked = relevant.select("user_idx")
    if 0 < wanted < relevant_users:
        key = F.xxhash64(F.col("user_idx"), F.lit(int(evaluation.get("seed", 0))))
        picked = picked.orderBy(key, "user_idx").limit(wanted)
    picked = picked.persist(StorageLevel.MEMORY_AND_DISK)
    sample = relevant.join(picked, "user_idx", "left_semi").withColumn("held_out", F.lit(True))
    history = (
        train.join(picked, "user_idx", "left_semi")
        .select("user_idx", "item_idx", "weight")
        .withColumn("held_out", F.lit(False))
    )
    sample.withColumn("weight", F.lit(0.0)).select(
        "user_idx", "item_idx", "weight", "held_out"
    ).unionByName(history).write.mode("overwrite").parquet(paths["eval"])
    summary = {
        "users": n_users,
        "items": n_items,
        "records": n_records,
        "events": events.count(),
        "train_pairs": train.count(),
        "users_with_history": with_history.count(),
        "relevant_users": relevant_users,
        "evaluated_users": picked.count(),
    }
    with open(paths["summary"], "w", encoding="utf-8") as f:
        json.dump(summary, f)
    emit("phase", name="indexed", secs=round(time.time() - started, 2), **summary)
    return train


def main():
    if len(sys.argv) != 2:
        print("usage: spark-submit shoplens_als.py JOB_JSON", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    if spec.get("format") != "shoplens-spark-als" or spec.get("version") != 1:
        emit("failed", message="job.json is not a shoplens ALS job of version 1")
        return 2
    started = time.time()
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = SparkSession.builder.appName(spec.get("app_name", "shoplens ALS")).getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    emit(
        "started",
        spark_version=spark.version,
        master=sc.master,
        application=sc.applicationId,
        ui=sc.uiWebUrl,
        parallelism=sc.defaultParallelism,
        secs=round(time.time() - started, 2),
    )
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(sc, stop, started), daemon=True)
    watcher.start()
    try:
        paths = spec["paths"]
        params = spec["params"]
        if paths.get("checkpoints"):
            # Long lineages (many iterations) overflow the stack without checkpoints.
            sc.setCheckpointDir(paths["checkpoints"])
        emit("phase", name="reading", secs=round(time.time() - started, 2))
        if spec.get("source"):
            pairs = pairs_from_file(spark, F, spec, started)
        else:
            events = spark.read.parquet(paths["train"])
            pairs = events.groupBy("user_idx", "item_idx").agg(F.sum("weight").alias("weight"))
        als = ALS(
            rank=int(params["rank"]),
            maxIter=int(params["max_iter"]),
            regParam=float(params["reg_param"]),
            alpha=float(params["alpha"]),
            implicitPrefs=True,
            nonnegative=False,
            seed=int(params["seed"]),
            userCol="user_idx",
            itemCol="item_idx",
            ratingCol="weight",
            numUserBlocks=int(params["blocks"]),
            numItemBlocks=int(params["blocks"]),
            # A raw file is the big case: checkpoint every other iteration,
            # after which ALS removes the shuffle files before it (they
            # filled 47 GB of disk by iteration 6 on 10^8 events).
            checkpointInterval=2 if spec.get("source") else 10,
        )
        emit("phase", name="training", secs=round(time.time() - started, 2))
        fit_start = time.time()
        model = als.fit(pairs)
        model.userFactors.write.mode("overwrite").parquet(paths["user_factors"])
        model.itemFactors.write.mode("overwrite").parquet(paths["item_factors"])
        emit(
            "done",
            rank=model.rank,
            solves=solves_finished(sc.statusTracker()),
            fit_secs=round(time.time() - fit_start, 3),
            secs=round(time.time() - started, 3),
        )
        return 0
    except Exception as e:  # reported to shoplens, then the job fails
        emit("failed", message=f"{type(e).__name__}: {e}".splitlines()[0][:2000])
        traceback.print_exc()
        return 1
    finally:
        stop.set()
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
