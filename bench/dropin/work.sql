create table t(a integer primary key, b text, c text);
with recursive s(x) as (select 1 union all select x + 1 from s where x < @N@)
  insert into t
  select x, printf('%08d', x * 7919 % 100003), substr('abcdefghij', 1 + x % 10) from s;
create index ib on t(b);
create table u as select c, count(*) as k, group_concat(b) as g from t group by c;
select count(*), sum(length(b)), max(b) from t;
select t.c, k, length(g) from t join u using (c) where t.a % 1000 = 7 order by t.a limit 5;
