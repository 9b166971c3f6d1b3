"""shoplens' ALS job for Apache Spark.

shoplens writes a hand-off folder (train events as Parquet partitioned by day,
the id maps, and job.json) and submits this script with spark-submit:

    spark-submit --master local[2] shoplens_als.py WORK_DIR/job.json

It trains MLlib's implicit ALS and writes the factors as Parquet
(`user_factors/`, `item_factors/`: columns `id` int, `features`
array<float>), which shoplens reads back and evaluates itself.

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
            checkpointInterval=10,
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
