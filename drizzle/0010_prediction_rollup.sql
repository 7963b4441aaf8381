CREATE TABLE "prediction_rollup" (
	"endpoint_id" text NOT NULL,
	"version" integer NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"schema_key" text NOT NULL,
	"rows" integer NOT NULL,
	"inputs" text NOT NULL,
	"prediction" text NOT NULL,
	"anomalies" jsonb NOT NULL,
	CONSTRAINT "prediction_rollup_endpoint_id_version_hour_pk" PRIMARY KEY("endpoint_id","version","hour")
);
--> statement-breakpoint
ALTER TABLE "predictions" ADD COLUMN "rolled_up" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "prediction_rollup" ADD CONSTRAINT "prediction_rollup_endpoint_id_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "prediction_rollup_endpoint_hour" ON "prediction_rollup" USING btree ("endpoint_id","hour");--> statement-breakpoint
CREATE INDEX "predictions_not_rolled_up" ON "predictions" USING btree ("endpoint_id","time") WHERE NOT "predictions"."rolled_up";