.mode csv
.import /w/people.csv people
create table nums as
  with recursive c(x) as (select 1 union all select x + 1 from c where x < 5000)
  select x, (x * x) % 1000 as y, printf('row-%05d', x) as label from c;
create index nums_y on nums(y);
create table summary(city text primary key, n integer, oldest integer);
insert into summary select city, count(*), max(age) from people group by city;
.mode list
select count(*), sum(x), round(avg(y), 3) from nums;
