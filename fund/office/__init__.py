"""The fund office's workspace: gifts found and totalled fast, exports, the dashboard,
campaigns run to their end, activity reports mailed, donors merged."""
