-- The sample database of SQL pads: seeded into a fresh in-memory SQLite database for every run.
CREATE TABLE departments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  location TEXT NOT NULL
);
CREATE TABLE employees (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  title TEXT NOT NULL,
  department_id INTEGER REFERENCES departments(id),
  manager_id INTEGER REFERENCES employees(id),
  salary INTEGER NOT NULL,
  hired_on TEXT NOT NULL
);
INSERT INTO departments (id, name, location) VALUES
  (1, 'Engineering', 'Berlin'),
  (2, 'Sales', 'London'),
  (3, 'Marketing', 'London'),
  (4, 'Support', 'Lisbon');
INSERT INTO employees (id, name, title, department_id, manager_id, salary, hired_on) VALUES
  (1, 'Ada Lovelace', 'CTO', 1, NULL, 185000, '2015-03-01'),
  (2, 'Grace Hopper', 'Engineering Manager', 1, 1, 150000, '2016-07-15'),
  (3, 'Alan Turing', 'Senior Engineer', 1, 2, 135000, '2017-01-09'),
  (4, 'Katherine Johnson', 'Engineer', 1, 2, 110000, '2019-05-20'),
  (5, 'Linus Torvalds', 'Engineer', 1, 2, 112000, '2020-11-02'),
  (6, 'Margaret Hamilton', 'Head of Sales', 2, 1, 140000, '2016-02-29'),
  (7, 'Dennis Ritchie', 'Account Executive', 2, 6, 90000, '2018-09-10'),
  (8, 'Barbara Liskov', 'Account Executive', 2, 6, 92000, '2021-04-12'),
  (9, 'Edsger Dijkstra', 'Marketing Lead', 3, 1, 105000, '2017-06-01'),
  (10, 'Frances Allen', 'Content Writer', 3, 9, 70000, '2022-01-17'),
  (11, 'Ken Thompson', 'Support Engineer', 4, 1, 75000, '2019-08-05'),
  (12, 'Radia Perlman', 'Contractor', NULL, 2, 80000, '2023-03-13');
