import sys
n = int(sys.argv[1])
d = [{'id': i, 'name': 'item%d' % i, 'tags': ['t%d' % (i % 7), str(i) * 3], 'v': i * 0.5}
     for i in range(n)]
idx = {x['name']: x for x in d}
groups = {}
for x in d:
    groups.setdefault(x['tags'][0], []).append(x['name'] + x['tags'][1])
s = ','.join('%s=%s' % (k, '|'.join(v)) for k, v in sorted(groups.items()))
words = s.replace('=', ',').replace('|', ',').split(',')
print(len(s), len(idx), sum(x['id'] for x in d), len(set(words)), repr(d[n // 2]))
