"""`leanwb serve` and `leanwb mcp`: the workbench as a checking service and as MCP tools.

One module per job: `kimina` (the Kimina Lean server's request and reply shapes),
`cache` (checked answers kept in the store), `checker` (the pool behind admission
control, timeouts, the host-code rule and the cache), `jobs` (background prove jobs),
`app` (the FastAPI routes and the safety middleware), `server` (uvicorn, the listening
line, shutdown) and `mcp_tools` (the MCP server). FastAPI, uvicorn and mcp are imported
only by these modules.
"""
