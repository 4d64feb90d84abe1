-- wrk script: create a free order (one admission ticket) through pretix's REST API.
-- Arguments: the API token, the item id.
function init(args)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Token " .. args[1]
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = string.format(
    '{"email":"personne@exemple.fr","locale":"en","sales_channel":"web","positions":[{"item":%s}]}', args[2])
end
