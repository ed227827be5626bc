"""The two-level surge response (二级话务应急响应): levels from the queue with hysteresis, set by hand too."""
