"""The regscan Kubernetes controller (Registry CRD -> CronJobs, Indexed Jobs, status)."""
