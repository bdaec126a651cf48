local n = tonumber(arg[1])
local t = {}
for i = 1, n do t[i] = tostring(i) .. ("x"):rep(i % 20) end
local m = {}
for i = 1, n do m[t[i]] = i end
local s = table.concat(t, ",")
local c = 0
for w in s:gmatch("[^,]+") do if m[w] then c = c + 1 end end
print(#s, c)
